"""``manage.py`` commands: demo, import_wire, parse_wire, build_fixtures, rebuild_search."""
