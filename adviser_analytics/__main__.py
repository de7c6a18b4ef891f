from adviser_analytics.cli import main

raise SystemExit(main())
