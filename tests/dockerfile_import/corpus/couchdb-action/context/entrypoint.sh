#!/bin/sh
echo entrypoint.sh
