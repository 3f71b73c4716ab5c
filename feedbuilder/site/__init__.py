"""What people see around the feeds: the feeds page and the feeds' stylesheet."""
