//go:build !linux

package e2e

import "syscall"

func procAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setpgid: true} }

func childPIDs(int) []int { return nil }

func vmHWM(int) int { return 0 }

func procExe(int) string { return "" }
