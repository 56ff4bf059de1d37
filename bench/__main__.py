"""python -m bench: imgb and Terraform side by side (bench.compare); docs/performance.md explains the table."""

from bench.compare import main

raise SystemExit(main())
