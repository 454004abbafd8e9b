#!/usr/bin/env node
import '../lib/bundle/main.js';
