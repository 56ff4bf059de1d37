#!/bin/sh
echo vimrc
