"""The service's pages for people (Jinja2, rendered on the server, no build step): public
verification of certified copies (verify.py), the clerk's review screen (review.py), the
agency administration (admin.py); staff sign in with a token kept in a session cookie
(session.py). Templates in api/templates/, CSS and a little optional JavaScript in
api/static/."""
