#!/bin/sh
echo Datenbankverbindung
