"""The screens of `nav tui`: main reader, call trace, walkthroughs, key help."""
