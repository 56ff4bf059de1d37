content of wsgi.py
