from clickclack.cli import main

main()
