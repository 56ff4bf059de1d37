#!/bin/sh
echo html
