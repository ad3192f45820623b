"""The node power reader, filling raw_node_power: whole-server power readings per host."""
