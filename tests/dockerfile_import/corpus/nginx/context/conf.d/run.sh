#!/bin/sh
echo conf.d
