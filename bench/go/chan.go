// Peer for the channel throughput benchmark: one producer goroutine sends
// 0..N-1 into a buffered channel, the main goroutine receives them all.
//
//	chan [N] [CAPACITY]      prints: messages=N ms=T sum=S
//
// sum is the sum of the received values (N*(N-1)/2), printed to be checked.
package main

import (
	"fmt"
	"os"
	"strconv"
	"time"
)

func run(n, capacity int) (time.Duration, int64) {
	ch := make(chan int64, capacity)
	start := time.Now()
	go func() {
		for i := 0; i < n; i++ {
			ch <- int64(i)
		}
		close(ch)
	}()
	var sum int64
	for v := range ch {
		sum += v
	}
	return time.Since(start), sum
}

func arg(i, def int) int {
	if len(os.Args) <= i {
		return def
	}
	v, err := strconv.Atoi(os.Args[i])
	if err != nil || v < 0 {
		fmt.Fprintln(os.Stderr, "usage: chan [N] [CAPACITY]")
		os.Exit(2)
	}
	return v
}

func main() {
	n, capacity := arg(1, 1000000), arg(2, 1024)
	best, sum := run(n, capacity)
	for r := 0; r < 2; r++ {
		if d, s := run(n, capacity); d < best {
			best, sum = d, s
		}
	}
	fmt.Printf("messages=%d ms=%.3f sum=%d\n", n, float64(best.Nanoseconds())/1e6, sum)
}
