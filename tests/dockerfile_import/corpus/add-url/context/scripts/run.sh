#!/bin/sh
echo scripts
