package auth

import (
	"runtime"
	"sync"
)

// Password hashing is deliberately expensive: at cost 10 one bcrypt comparison takes
// ~75 ms of CPU. Run on the request's goroutine, a burst of logins takes every core and
// stalls the cheap requests queued behind it. A Passwords made by NewPasswordsPool instead
// runs bcrypt on dedicated OS threads whose scheduling priority is lowered (nice 10 on
// Linux): when the machine is idle they use every core, as many at once as there are
// workers; when other work (reads, the database) wants the CPU, the kernel gives it
// precedence. The caller must leave the workers Ps of their own (see serve), or a
// descheduled worker could hold a P that request goroutines need.

// bcryptNice is the niceness of the bcrypt threads: weight 110 against 1024 for normal
// threads, so under contention they get about a tenth of a core each.
const bcryptNice = 10

// workerPool runs functions on n locked, low-priority OS threads.
type workerPool struct {
	n    int
	jobs chan func()
	wg   sync.WaitGroup
	once sync.Once
}

func newWorkerPool(n int) *workerPool {
	p := &workerPool{n: n, jobs: make(chan func())}
	for range n {
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			// The thread is never unlocked: its priority stays lowered and it exits with
			// the goroutine, so no other goroutine ever runs at low priority by accident.
			runtime.LockOSThread()
			lowerThreadPriority(bcryptNice)
			for f := range p.jobs {
				f()
			}
		}()
	}
	return p
}

// run runs f on a worker and waits for it.
func (p *workerPool) run(f func()) {
	done := make(chan struct{})
	p.jobs <- func() { f(); close(done) }
	<-done
}

func (p *workerPool) close() {
	p.once.Do(func() { close(p.jobs) })
	p.wg.Wait()
}
