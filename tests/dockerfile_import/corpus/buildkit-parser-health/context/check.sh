#!/bin/sh
echo check.sh
