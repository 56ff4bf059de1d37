#!/bin/sh
echo configs
