#!/bin/sh
echo src
