// The users page (admin): users, roles, grids and gates, tokens, disabling a user.
