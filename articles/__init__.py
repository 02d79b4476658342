"""The one Django app of the newsroom: stories and everything done with them, by capability."""
