content of spiellogik.py
