// The Go peer of bench/parking.js: the same programs with goroutines and
// channels. Usage: go run parking.go SCENARIO N; prints "ms=<float> check=<int>"
// (plus "bytes_per_task=<int>" for "parked").
package main

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"sync"
	"time"
)

// The work per value of the "work" scenario: bench/wasm/parking.wat's $work.
func work(x int64) int64 {
	u := uint64(x)
	for k := 0; k < 32; k++ {
		u ^= u >> 29
		u *= 0xbf58476d1ce4e5b9
	}
	return int64(u)
}

func main() {
	scenario := os.Args[1]
	n, _ := strconv.ParseInt(os.Args[2], 10, 64)
	start := time.Now()
	var check int64
	extra := ""
	switch scenario {
	case "pipe1024", "pipe0", "work":
		// "work": pipe1024 whose producer sends work(i) instead of i.
		capacity := 1024
		if scenario == "pipe0" {
			capacity = 0
		}
		value := func(i int64) int64 { return i }
		if scenario == "work" {
			value = work
		}
		ch := make(chan int64, capacity)
		done := make(chan int64)
		go func() {
			var sum int64
			for i := int64(0); i < n; i++ {
				sum += <-ch
			}
			done <- sum
		}()
		for i := int64(0); i < n; i++ {
			ch <- value(i)
		}
		check = <-done
	case "pingpong":
		a, b := make(chan int64), make(chan int64)
		go func() {
			for i := int64(0); i < n; i++ {
				b <- (<-a) + 1
			}
		}()
		for i := int64(0); i < n; i++ {
			a <- i
			check += <-b
		}
	case "fanin":
		ch := make(chan int64, 1024)
		var wg sync.WaitGroup
		per := n / 8
		for p := 0; p < 8; p++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := int64(0); i < per; i++ {
					ch <- i
				}
			}()
		}
		for i := int64(0); i < per*8; i++ {
			check += <-ch
		}
		wg.Wait()
	case "fanout":
		ch := make(chan int64, 1024)
		sums := make(chan int64, 4)
		per := n / 4
		for c := 0; c < 4; c++ {
			go func() {
				var s int64
				for i := int64(0); i < per; i++ {
					s += <-ch
				}
				sums <- s
			}()
		}
		for i := int64(0); i < per*4; i++ {
			ch <- i
		}
		for c := 0; c < 4; c++ {
			check += <-sums
		}
	case "select4":
		var chs [4]chan int64
		for k := range chs {
			chs[k] = make(chan int64, 1024)
			go func(c chan int64) {
				for i := int64(0); i < n/4; i++ {
					c <- i
				}
			}(chs[k])
		}
		for i := int64(0); i < (n/4)*4; i++ {
			select {
			case v := <-chs[0]:
				check += v
			case v := <-chs[1]:
				check += v
			case v := <-chs[2]:
				check += v
			case v := <-chs[3]:
				check += v
			}
		}
	case "parked":
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		chs := make([]chan int64, n)
		var wg sync.WaitGroup
		for i := range chs {
			chs[i] = make(chan int64)
			wg.Add(1)
			go func(c chan int64) {
				defer wg.Done()
				<-c
			}(chs[i])
		}
		runtime.Gosched()
		time.Sleep(50 * time.Millisecond)
		runtime.ReadMemStats(&after)
		extra = fmt.Sprintf(" bytes_per_task=%d", int64(after.Sys-before.Sys)/n)
		for i := range chs {
			chs[i] <- int64(i)
		}
		wg.Wait()
		check = n
	case "spawn":
		results := make([]int32, n)
		var wg sync.WaitGroup
		for i := int64(0); i < n; i++ {
			wg.Add(1)
			go func(i int64) {
				defer wg.Done()
				results[i] = int32(i) + int32(i)
			}(i)
		}
		wg.Wait()
		for _, r := range results {
			check += int64(r)
		}
	}
	fmt.Printf("ms=%.3f check=%d%s\n", float64(time.Since(start).Microseconds())/1000, check, extra)
}
