package main

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	authorizationv1 "k8s.io/api/authorization/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes"
)

// denyRule is one `--deny VERB:GROUP/RESOURCE`, read as `kshift demo --deny` reads it:
// GROUP/ may be left out for the core group; a rule on a resource covers its
// subresources.
type denyRule struct {
	verb, group, resource string
}

func parseDeny(text string) (denyRule, error) {
	verb, target, ok := strings.Cut(text, ":")
	group, resource := "", target
	if i := strings.LastIndex(target, "/"); i >= 0 {
		group, resource = target[:i], target[i+1:]
	}
	if !ok || verb == "" || resource == "" {
		return denyRule{}, fmt.Errorf("invalid deny rule %q: expected VERB:GROUP/RESOURCE", text)
	}
	return denyRule{verb, group, resource}, nil
}

var allVerbs = []string{"get", "list", "watch", "create", "update", "patch", "delete", "deletecollection"}

// grantAllBut gives the kshift-demo user everything but what the rules deny. RBAC only
// adds, so the grant is written out: every group the server serves now (with a
// wildcard for its resources), except the groups a rule names, whose resources are
// listed one by one with the verbs left to them. Groups that appear later are not
// granted.
func grantAllBut(ctx context.Context, client kubernetes.Interface, rules []denyRule) error {
	_, lists, err := client.Discovery().ServerGroupsAndResources()
	if err != nil && len(lists) == 0 {
		return err
	}
	resources := map[string][]string{}
	for _, list := range lists {
		gv, err := schema.ParseGroupVersion(list.GroupVersion)
		if err != nil {
			continue
		}
		for _, r := range list.APIResources {
			if !slices.Contains(resources[gv.Group], r.Name) {
				resources[gv.Group] = append(resources[gv.Group], r.Name)
			}
		}
	}
	named := map[string]bool{}
	for _, rule := range rules {
		named[rule.group] = true
	}
	policy := []rbacv1.PolicyRule{{NonResourceURLs: []string{"*"}, Verbs: []string{"*"}}}
	groups := make([]string, 0, len(resources))
	for group := range resources {
		groups = append(groups, group)
	}
	sort.Strings(groups)
	for _, group := range groups {
		if !named[group] {
			policy = append(policy, rbacv1.PolicyRule{APIGroups: []string{group}, Resources: []string{"*"}, Verbs: []string{"*"}})
			continue
		}
		for _, resource := range resources[group] {
			base, _, _ := strings.Cut(resource, "/")
			verbs := []string{}
			for _, verb := range allVerbs {
				denied := slices.ContainsFunc(rules, func(r denyRule) bool {
					return r.group == group && r.resource == base && (r.verb == verb || r.verb == "*")
				})
				if !denied {
					verbs = append(verbs, verb)
				}
			}
			if len(verbs) == len(allVerbs) {
				verbs = []string{"*"}
			}
			if len(verbs) > 0 {
				policy = append(policy, rbacv1.PolicyRule{APIGroups: []string{group}, Resources: []string{resource}, Verbs: verbs})
			}
		}
	}
	role := &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "kshift-demo"}, Rules: policy}
	if _, err := client.RbacV1().ClusterRoles().Create(ctx, role, metav1.CreateOptions{}); err != nil {
		return err
	}
	binding := &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "kshift-demo"},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "kshift-demo"},
		Subjects:   []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: rbacv1.UserKind, Name: "kshift-demo"}},
	}
	if _, err = client.RbacV1().ClusterRoleBindings().Create(ctx, binding, metav1.CreateOptions{}); err != nil {
		return err
	}
	// The authoriser learns of the binding through a watch: wait until it answers.
	deadline := time.Now().Add(30 * time.Second)
	for {
		review := &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{
			User:               "kshift-demo",
			ResourceAttributes: &authorizationv1.ResourceAttributes{Verb: "list", Resource: "namespaces"},
		}}
		answer, err := client.AuthorizationV1().SubjectAccessReviews().Create(ctx, review, metav1.CreateOptions{})
		if err == nil && answer.Status.Allowed {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the grant to kshift-demo is not in force after 30s")
		}
		time.Sleep(50 * time.Millisecond)
	}
}
