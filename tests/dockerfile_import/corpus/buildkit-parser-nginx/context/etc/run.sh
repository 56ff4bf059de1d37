#!/bin/sh
echo etc
