content of login.py
