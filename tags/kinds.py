"""The kinds of definition the index knows, in the order `nav find` ranks them."""

DEFINITION_KINDS = ("class", "function", "model", "method", "variable", "module")
