content of app.py
