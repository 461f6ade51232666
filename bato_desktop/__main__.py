from bato_desktop.cli import main

raise SystemExit(main())
