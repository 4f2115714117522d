import { useMemo } from 'react';
import type { Page, Instance, Problem, Profile, StoredPolicy } from '../api/types';
import { useResource } from '../api/use-resource';

export interface Catalog {
  instances: Instance[];
  /** Instances by slug and by id. */
  instanceIndex: Map<string, Instance>;
  /** Profiles by name. */
  profiles: Map<string, Profile>;
  /** The organisation policy, which limits grants and credentials, once loaded. */
  policy: StoredPolicy | undefined;
  /** The policy's opt-in for admin-level scopes. It is false until the policy has loaded. */
  adminScopesAllowed: boolean;
  loading: boolean;
  problem: Problem | undefined;
  reload: () => void;
}

/** Loads the product instances and the profiles that grants are written against. */
export function useCatalog(): Catalog {
  const instances = useResource<Page<Instance>>('/instances');
  const profiles = useResource<Page<Profile>>('/profiles');
  const policy = useResource<StoredPolicy>('/policy');

  return useMemo(() => {
    const instanceIndex = new Map<string, Instance>();
    for (const instance of instances.data?.items ?? []) {
      instanceIndex.set(instance.slug, instance);
      instanceIndex.set(instance.id, instance);
    }
    return {
      instances: instances.data?.items ?? [],
      instanceIndex,
      profiles: new Map((profiles.data?.items ?? []).map((profile) => [profile.name, profile])),
      policy: policy.data,
      adminScopesAllowed: policy.data?.scopes.adminScopesAllowed ?? false,
      loading: instances.loading || profiles.loading,
      problem: instances.problem ?? profiles.problem,
      reload: () => {
        instances.reload();
        profiles.reload();
      },
    };
  }, [instances, profiles, policy]);
}
