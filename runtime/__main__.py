from interlingua.cli import main

raise SystemExit(main())
