#!/bin/sh
echo crontab
