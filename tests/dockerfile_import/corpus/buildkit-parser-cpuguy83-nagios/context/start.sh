#!/bin/sh
echo start.sh
