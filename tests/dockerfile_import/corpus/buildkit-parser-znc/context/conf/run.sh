#!/bin/sh
echo conf
