"""`python -m demo` (what `make demo` runs): the whole story on the local cloud."""

from demo.story import main

raise SystemExit(main())
