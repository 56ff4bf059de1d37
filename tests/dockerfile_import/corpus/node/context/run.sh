#!/bin/sh
echo the context
