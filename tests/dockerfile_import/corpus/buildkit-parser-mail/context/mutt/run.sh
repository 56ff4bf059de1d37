#!/bin/sh
echo mutt
