#!/bin/sh
echo main.sh
