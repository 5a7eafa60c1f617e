"""The memory graph: the people, places and things memories name, and the links between them."""
