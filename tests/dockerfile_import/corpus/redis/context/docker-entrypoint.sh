#!/bin/sh
echo docker-entrypoint.sh
