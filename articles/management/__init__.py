"""Management commands: thin, they parse arguments, call services and report."""
