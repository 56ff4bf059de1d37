#!/bin/sh
echo wp-content
