#version 330 core
// A tile fading in over its ancestor, in one pass: both textures are sampled
// and mixed here instead of drawing the ancestor and blending the tile over
// it (which drew those pixels twice: with software GL the fragment work is
// most of a frame).
in vec2 v_uv;
in vec2 v_uv2;

uniform sampler2D u_tex;
uniform sampler2D u_under;
uniform float u_alpha;

out vec4 o_color;

void main()
{
    vec3 under = texture(u_under, v_uv2).rgb;
    o_color = vec4(mix(under, texture(u_tex, v_uv).rgb, u_alpha), 1.0);
}
