from cimbench.cli import main

main()
