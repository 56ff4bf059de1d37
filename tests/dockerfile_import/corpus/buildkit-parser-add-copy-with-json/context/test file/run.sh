#!/bin/sh
echo test file
