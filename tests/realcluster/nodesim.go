package main

import (
	"context"
	"fmt"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
)

const nodeName = "realcluster-node"

// startNodeSimulator plays the scheduler and a kubelet for one node, as kwok does:
// it registers a Ready node, binds every unscheduled pod to it, marks bound pods
// Running and Ready after `delay`, and removes pods being deleted at once.
func startNodeSimulator(ctx context.Context, client kubernetes.Interface, delay time.Duration) error {
	if err := registerNode(ctx, client); err != nil {
		return err
	}
	factory := informers.NewSharedInformerFactory(client, 0)
	pods := factory.Core().V1().Pods().Informer()
	queue := workqueue.NewTypedRateLimitingQueue(workqueue.DefaultTypedControllerRateLimiter[string]())
	enqueue := func(object any) {
		if key, err := cache.DeletionHandlingMetaNamespaceKeyFunc(object); err == nil {
			queue.Add(key)
		}
	}
	_, _ = pods.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    enqueue,
		UpdateFunc: func(_, object any) { enqueue(object) },
	})
	factory.Start(ctx.Done())
	if !cache.WaitForCacheSync(ctx.Done(), pods.HasSynced) {
		return fmt.Errorf("the pod informer did not sync")
	}
	sim := &simulator{client: client, store: pods.GetStore(), delay: delay, starting: map[string]bool{}}
	for range 4 {
		go func() {
			for {
				key, quit := queue.Get()
				if quit {
					return
				}
				if err := sim.sync(ctx, key); err != nil && ctx.Err() == nil {
					queue.AddRateLimited(key)
				} else {
					queue.Forget(key)
				}
				queue.Done(key)
			}
		}()
	}
	go func() { <-ctx.Done(); queue.ShutDown() }()
	return nil
}

func registerNode(ctx context.Context, client kubernetes.Interface) error {
	capacity := corev1.ResourceList{
		corev1.ResourceCPU:    resource.MustParse("64"),
		corev1.ResourceMemory: resource.MustParse("256Gi"),
		corev1.ResourcePods:   resource.MustParse("1000"),
	}
	node := &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{
			Name:   nodeName,
			Labels: map[string]string{"kubernetes.io/hostname": nodeName, "kubernetes.io/os": "linux", "type": "simulated"},
		},
	}
	created, err := client.CoreV1().Nodes().Create(ctx, node, metav1.CreateOptions{})
	if err != nil {
		return err
	}
	now := metav1.Now()
	created.Status = corev1.NodeStatus{
		Capacity:    capacity,
		Allocatable: capacity,
		Phase:       corev1.NodeRunning,
		Addresses:   []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: "127.0.0.1"}, {Type: corev1.NodeHostName, Address: nodeName}},
		Conditions: []corev1.NodeCondition{{
			Type: corev1.NodeReady, Status: corev1.ConditionTrue, Reason: "KubeletReady",
			Message: "simulated by realcluster", LastHeartbeatTime: now, LastTransitionTime: now,
		}},
		NodeInfo: corev1.NodeSystemInfo{KubeletVersion: "v1.37.2-realcluster", OperatingSystem: "linux", Architecture: "amd64"},
	}
	_, err = client.CoreV1().Nodes().UpdateStatus(ctx, created, metav1.UpdateOptions{})
	return err
}

type simulator struct {
	client   kubernetes.Interface
	store    cache.Store
	delay    time.Duration
	mu       sync.Mutex
	starting map[string]bool
	nextIP   int
}

func (s *simulator) sync(ctx context.Context, key string) error {
	object, exists, err := s.store.GetByKey(key)
	if err != nil || !exists {
		return err
	}
	pod := object.(*corev1.Pod)
	pods := s.client.CoreV1().Pods(pod.Namespace)
	switch {
	case pod.DeletionTimestamp != nil:
		zero := int64(0)
		err := pods.Delete(ctx, pod.Name, metav1.DeleteOptions{GracePeriodSeconds: &zero, Preconditions: &metav1.Preconditions{UID: &pod.UID}})
		if apierrors.IsNotFound(err) || apierrors.IsConflict(err) {
			return nil
		}
		return err
	case pod.Spec.NodeName == "":
		err := pods.Bind(ctx, &corev1.Binding{
			ObjectMeta: metav1.ObjectMeta{Name: pod.Name, Namespace: pod.Namespace, UID: pod.UID},
			Target:     corev1.ObjectReference{Kind: "Node", Name: nodeName},
		}, metav1.CreateOptions{})
		if apierrors.IsNotFound(err) || apierrors.IsConflict(err) {
			return nil
		}
		return err
	case pod.Spec.NodeName == nodeName && (pod.Status.Phase == corev1.PodPending || pod.Status.Phase == ""):
		s.mu.Lock()
		already := s.starting[key]
		s.starting[key] = true
		s.mu.Unlock()
		if !already {
			time.AfterFunc(s.delay, func() { s.start(ctx, key, pod.UID) })
		}
	}
	return nil
}

// start marks the pod Running with every container ready, as a kubelet reports it.
func (s *simulator) start(ctx context.Context, key string, uid types.UID) {
	defer func() {
		s.mu.Lock()
		delete(s.starting, key)
		s.mu.Unlock()
	}()
	for attempt := 0; attempt < 10 && ctx.Err() == nil; attempt++ {
		object, exists, _ := s.store.GetByKey(key)
		if !exists {
			return
		}
		pod := object.(*corev1.Pod).DeepCopy()
		if pod.UID != uid || pod.DeletionTimestamp != nil || pod.Status.Phase == corev1.PodRunning {
			return
		}
		s.mu.Lock()
		s.nextIP++
		ip := fmt.Sprintf("10.244.%d.%d", (s.nextIP/250)%250, s.nextIP%250+1)
		s.mu.Unlock()
		now := metav1.Now()
		pod.Status.Phase = corev1.PodRunning
		pod.Status.HostIP = "127.0.0.1"
		pod.Status.HostIPs = []corev1.HostIP{{IP: "127.0.0.1"}}
		pod.Status.PodIP = ip
		pod.Status.PodIPs = []corev1.PodIP{{IP: ip}}
		pod.Status.StartTime = &now
		pod.Status.Conditions = nil
		for _, t := range []corev1.PodConditionType{corev1.PodScheduled, corev1.PodInitialized, corev1.ContainersReady, corev1.PodReady} {
			pod.Status.Conditions = append(pod.Status.Conditions, corev1.PodCondition{Type: t, Status: corev1.ConditionTrue, LastTransitionTime: now})
		}
		pod.Status.ContainerStatuses = nil
		for _, c := range pod.Spec.Containers {
			started := true
			pod.Status.ContainerStatuses = append(pod.Status.ContainerStatuses, corev1.ContainerStatus{
				Name: c.Name, Image: c.Image, ImageID: "sha256:simulated", ContainerID: "simulated://" + string(pod.UID) + "/" + c.Name,
				Ready: true, Started: &started, State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: now}},
			})
		}
		_, err := s.client.CoreV1().Pods(pod.Namespace).UpdateStatus(ctx, pod, metav1.UpdateOptions{})
		if err == nil || apierrors.IsNotFound(err) {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
}
