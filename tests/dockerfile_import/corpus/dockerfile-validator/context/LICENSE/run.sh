#!/bin/sh
echo LICENSE
