#!/bin/sh
echo vim
