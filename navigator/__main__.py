"""`python -m navigator` is `nav`."""
import sys

from navigator.cli import main

sys.exit(main())
