"""``passend bench load``: the whole country on one machine, under open-loop load."""
