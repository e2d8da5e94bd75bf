from mochi.cli import main

main()
