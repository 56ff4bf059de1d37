#!/bin/sh
echo hadolint
